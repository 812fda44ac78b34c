Rails.application.routes.draw do
  root "sequences#new"
  resources :sequences, only: [:new, :create]
end
